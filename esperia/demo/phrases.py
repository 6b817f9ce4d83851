"""The words of the demo customers: clause fragments per aspect, tone and language.

Clauses start in lower case and carry no final punctuation so they can follow
an opener ("Devo dire che ...") or a connector (", ma ..."). The texts module
picks them with numpy indices and joins them column-wise.
"""

from __future__ import annotations

__all__ = [
    "CLAUSES",
    "CLOSERS",
    "CONNECTORS",
    "EMOJI",
    "OPENERS",
    "PII_EMAIL",
    "PII_PHONE",
    "Clauses",
]

#: positive, negative, neutral (a request or question written as a statement)
Clauses = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]

_IT: dict[str, Clauses] = {
    "staff": (
        (
            "il personale è gentilissimo e sa sempre consigliare il libro giusto",
            "la libraia mi ha consigliato un romanzo che non avrei mai scelto, "
            "ed è stato amore a prima pagina",
            "i commessi sono preparati, disponibili e mai invadenti",
            "non è male sentirsi chiamare per nome appena entro",
            "mi hanno aiutato a rintracciare un titolo fuori catalogo con una "
            "pazienza rara",
            "il ragazzo alla cassa è stato simpatico e attento",
            "si vede che chi lavora qui ama davvero i libri",
        ),
        (
            "il personale era distratto e poco disponibile",
            "ho chiesto un consiglio e mi hanno risposto a malapena",
            "la commessa è stata sgarbata quando ho chiesto del mio ordine",
            "non c'era nessuno a cui chiedere un'informazione",
            "sono rimasto ignorato al banco per dieci minuti buoni",
            "il libraio non sapeva nemmeno dove fosse la sezione di storia",
        ),
        (
            "vorrei sapere se in negozio qualcuno può consigliarmi letture per un "
            "ragazzo di quattordici anni",
            "vorrei prenotare una consulenza con un libraio per una biblioteca "
            "di classe",
            "vorrei sapere a chi rivolgermi in negozio per gli ordini speciali",
        ),
    ),
    "wait": (
        (
            "non ho fatto quasi fila alla cassa",
            "in pochi minuti ero fuori con il mio libro",
            "l'attesa è stata brevissima, anche di sabato pomeriggio",
            "non ho mai dovuto aspettare più di un paio di minuti",
            "al telefono mi hanno risposto subito, senza musichetta",
        ),
        (
            "ho aspettato in linea più di venti minuti prima di parlare con qualcuno",
            "la coda alla cassa era lunghissima e c'era una sola cassa aperta",
            "l'attesa al telefono è infinita, sempre con la stessa musica in loop",
            "in chat ho aspettato un quarto d'ora senza che nessuno rispondesse",
            "i tempi di attesa sono davvero eccessivi",
            "non è accettabile restare in attesa così a lungo per una domanda semplice",
        ),
        (
            "vorrei sapere in quali orari c'è meno fila in negozio",
            "vorrei sapere gli orari del servizio clienti telefonico",
            "vorrei sapere se posso prenotare il ritiro per evitare la coda",
        ),
    ),
    "price": (
        (
            "i prezzi sono onesti e gli sconti della carta fedeltà convengono davvero",
            "ho trovato offerte ottime sui tascabili",
            "non è caro come pensavo",
            "il rapporto qualità prezzo è buono",
            "con il tre per due ho fatto scorta di letture per l'estate",
            "la spedizione gratuita sopra i 25 euro fa la differenza",
        ),
        (
            "i prezzi sono un po' alti rispetto ai siti concorrenti",
            "è tutto bello ma caro",
            "le spese di spedizione sono troppo alte per un solo libro",
            "lo sconto promesso nella newsletter alla cassa non c'era",
            "online lo stesso libro si trova a meno altrove",
            "con questi prezzi non riesco a comprare tutti i libri che vorrei",
        ),
        (
            "vorrei sapere se lo sconto studenti vale anche online",
            "vorrei sapere fino a quando è valida la promozione tre per due",
            "vorrei sapere se fate prezzi speciali per le scuole",
        ),
    ),
    "range": (
        (
            "l'assortimento è ricchissimo, anche di piccoli editori",
            "ho scoperto autori che non conoscevo grazie agli scaffali tematici",
            "trovo sempre quello che cerco, anche i titoli meno noti",
            "la sezione di saggistica è curata benissimo",
            "ogni volta esco con una scoperta inaspettata",
            "i consigli in vetrina mi fanno venire voglia di leggere cose nuove",
        ),
        (
            "il libro che cercavo non era disponibile e nessuno sapeva quando "
            "sarebbe arrivato",
            "l'assortimento è scarso, soprattutto di libri in inglese",
            "la sezione ragazzi è piccola e disordinata",
            "le novità non ci sono mai il giorno dell'uscita",
            "ho dovuto ordinarlo online perché in negozio mancava",
        ),
        (
            "vorrei sapere se avete disponibile l'ultimo romanzo di Elena Ferrante",
            "vorrei sapere se potete ordinare un libro in inglese che non trovo",
            "vorrei sapere quando arriva la nuova edizione del manuale di diritto "
            "privato",
        ),
    ),
    "delivery": (
        (
            "il pacco è arrivato il giorno dopo, imballato alla perfezione",
            "consegna puntualissima, come promesso",
            "il corriere è stato gentile e preciso",
            "non mi aspettavo una consegna così veloce",
            "il tracking è arrivato subito e tutto è filato liscio",
        ),
        (
            "la consegna è arrivata con giorni di ritardo rispetto alle 48 ore "
            "promesse",
            "il corriere non è mai passato ma il pacco risultava consegnato",
            "il pacco è arrivato in ritardo e con la copertina rovinata",
            "era un regalo e non è arrivato in tempo",
            "il tracking è rimasto fermo per giorni",
            "la consegna in 48 ore è solo uno slogan",
        ),
        (
            "vorrei sapere dove si trova il mio ordine, il tracking non si aggiorna",
            "vorrei sapere se posso cambiare l'indirizzo di consegna",
            "vorrei sapere quando verrà consegnato il mio pacco",
        ),
    ),
    "cafe": (
        (
            "il profumo del caffè tra gli scaffali è irresistibile",
            "il cappuccino del caffè letterario è buonissimo",
            "un libro e una fetta di torta al bancone sono il mio rito del sabato",
            "il caffè è buono e l'angolo bar è accogliente",
            "le tisane e i dolci del bar sono ottimi, si sente che sono fatti in casa",
        ),
        (
            "il caffè era tiepido e annacquato",
            "al bar c'era confusione e i tavolini erano sporchi",
            "i dolci del bar sono cari e non sempre freschi",
            "l'angolo caffè era chiuso proprio quando sono passato",
            "il cappuccino non sapeva di niente",
        ),
        (
            "vorrei sapere se il caffè letterario è aperto la domenica",
            "vorrei sapere se al bar avete dolci senza glutine",
            "vorrei sapere se posso prenotare un tavolo al caffè per un piccolo gruppo",
        ),
    ),
    "events": (
        (
            "all'incontro con l'autore mi sono sentita parte di una comunità",
            "al gruppo di lettura ho conosciuto persone che ora vedo anche fuori",
            "gli incontri con gli autori sono il motivo per cui torno",
            "è bello ritrovarsi tra lettori che condividono la stessa passione",
            "la lettura per i bambini è stata magica, mia figlia vuole tornare "
            "ogni settimana",
            "ci si sente a casa, tra amici che amano i libri",
            "dopo la presentazione siamo rimasti a chiacchierare con l'autrice "
            "come vecchi amici",
        ),
        (
            "l'incontro era sovraffollato e non si sentiva niente",
            "l'evento è iniziato con un'ora di ritardo",
            "l'incontro con l'autore è stato annullato senza avvisare",
            "i posti a sedere erano pochi e siamo rimasti in piedi",
            "il gruppo di lettura era poco organizzato",
        ),
        (
            "vorrei sapere come iscrivermi al gruppo di lettura",
            "vorrei sapere se l'incontro con l'autore di giovedì è gratuito",
            "vorrei ricevere il programma delle letture per bambini",
        ),
    ),
    "app": (
        (
            "l'app è semplice e veloce, trovo tutto in pochi tocchi",
            "il sito è chiaro e fare un ordine è facilissimo",
            "la lista dei desideri nell'app è comodissima",
            "non è male la nuova app, molto più intuitiva",
            "le notifiche sulle uscite dei miei autori sono davvero utili",
        ),
        (
            "l'app si blocca ogni volta che provo a pagare",
            "il sito è lento e la ricerca non trova niente",
            "dopo l'aggiornamento l'app non mi fa più accedere",
            "il carrello si svuota da solo",
            "l'app è confusa e non si capisce dove siano gli ordini",
        ),
        (
            "vorrei sapere come recuperare la password dell'app",
            "vorrei sapere come collegare la carta fedeltà all'app",
            "vorrei sapere come funziona la lista dei desideri",
        ),
    ),
    "payment": (
        (
            "il pagamento con Satispay è immediato",
            "pagare è semplice, anche con PayPal",
            "in cassa accettano tutte le carte senza problemi",
            "il pagamento con un clic è comodissimo",
        ),
        (
            "il pagamento è stato rifiutato due volte senza motivo",
            "mi hanno addebitato l'importo due volte",
            "il pos in negozio non funzionava e ho dovuto pagare in contanti",
            "il buono regalo non veniva accettato al pagamento",
        ),
        (
            "vorrei sapere se accettate la carta del docente",
            "vorrei sapere se posso pagare con bonifico",
            "vorrei sapere se posso usare due buoni regalo nello stesso ordine",
        ),
    ),
    "care": (
        (
            "l'assistenza mi ha risposto subito e ha risolto tutto",
            "l'operatore al telefono è stato competente e gentile",
            "in chat mi hanno aiutato in pochi minuti",
            "hanno risposto alla mia mail in giornata",
            "finalmente un servizio clienti che ascolta",
        ),
        (
            "il servizio clienti è irraggiungibile",
            "nessuno ha mai risposto alla mia mail",
            "la chat si chiude prima che risponda un operatore",
            "ho chiamato tre volte e ogni volta mi hanno detto una cosa diversa",
            "non è stato facile parlare con una persona vera",
            "ho scritto due volte e sto ancora aspettando una risposta",
        ),
        (
            "vorrei parlare con un operatore",
            "vorrei sapere come contattarvi per un problema con un ordine",
            "vorrei essere richiamato appena possibile",
        ),
    ),
    "returns": (
        (
            "il reso è stato semplice e il rimborso è arrivato in pochi giorni",
            "ho cambiato un libro ricevuto in regalo senza nessun problema",
            "la procedura di reso online è chiarissima",
            "mi hanno sostituito subito una copia difettosa",
        ),
        (
            "il rimborso del reso non è ancora arrivato dopo un mese",
            "per fare un reso ho dovuto compilare mille moduli",
            "in negozio non accettano i resi degli acquisti online",
            "mi hanno rifiutato il cambio perché non avevo lo scontrino",
        ),
        (
            "vorrei sapere come restituire un libro che ho ricevuto doppio",
            "vorrei sapere se posso cambiare in negozio un libro comprato online",
            "vorrei sapere entro quando posso restituire un acquisto",
        ),
    ),
    "used": (
        (
            "il reparto dell'usato è una miniera d'oro per gli studenti",
            "ho venduto i miei libri scolastici e ne ho presi altri a metà prezzo",
            "i libri usati sono in ottimo stato",
            "grazie all'usato risparmio parecchio sui testi universitari",
        ),
        (
            "i libri usati avevano pagine sottolineate e rovinate",
            "la valutazione dei miei libri usati è stata ridicola",
            "nel reparto usato mancano sempre i testi scolastici",
            "l'usato costa quasi come il nuovo",
        ),
        (
            "vorrei sapere se ritirate libri scolastici usati",
            "vorrei sapere quanto valutate i testi universitari usati",
            "vorrei sapere se avete usato il manuale di analisi 1",
        ),
    ),
    "gift": (
        (
            "la confezione regalo era bellissima e gratuita",
            "mi hanno aiutato a scegliere il regalo perfetto per mio nipote",
            "le idee regalo di Natale erano esposte benissimo",
            "la carta regalo è stata apprezzatissima",
        ),
        (
            "per la confezione regalo c'era una fila infinita",
            "le carte regalo sono finite proprio sotto Natale",
            "il regalo è arrivato dopo Natale, una vera delusione",
            "la confezione regalo era fatta male",
        ),
        (
            "vorrei sapere se fate la confezione regalo anche per gli ordini online",
            "vorrei sapere se la carta regalo vale in tutti i negozi",
            "vorrei sapere se potete spedire un regalo con un biglietto",
        ),
    ),
    "atmosphere": (
        (
            "la libreria è luminosa e la musica di sottofondo è piacevole",
            "adoro l'odore di carta nuova appena entro",
            "le poltrone per leggere rendono il negozio accogliente",
            "le vetrine sono sempre curate e invitanti",
        ),
        (
            "il negozio era caldissimo e affollato",
            "la musica era troppo alta per sfogliare in pace",
            "gli scaffali erano in disordine",
            "il negozio sembra trascurato, con luci fredde",
        ),
        (
            "vorrei sapere se il negozio è accessibile con il passeggino",
            "vorrei sapere se c'è una sala lettura silenziosa",
            "vorrei sapere se si può entrare con il cane",
        ),
    ),
    "invoice": (
        (
            "la fatturazione per il nostro ufficio è precisa e puntuale",
            "il servizio aziende gestisce ordini grandi senza errori",
            "il referente per le forniture risponde sempre alle mail",
            "gli ordini per la biblioteca aziendale arrivano completi",
        ),
        (
            "la fattura aveva la partita IVA sbagliata per la seconda volta",
            "l'ordine per l'ufficio è arrivato incompleto",
            "aspetto da settimane una nota di credito",
            "per correggere ogni fattura servono tre mail",
        ),
        (
            "vorrei ricevere la fattura intestata alla mia azienda",
            "vorrei un preventivo per cinquanta copie dello stesso titolo",
            "vorrei aggiornare i dati di fatturazione del nostro ufficio",
        ),
    ),
}

_EN: dict[str, Clauses] = {
    "staff": (
        (
            "the staff are lovely and always know what to recommend",
            "the bookseller suggested a novel I would never have picked, and I "
            "loved it",
            "the staff were knowledgeable and never pushy",
            "not bad at all, they even remembered my name",
            "the guy at the till was friendly and patient",
        ),
        (
            "the staff seemed distracted and unhelpful",
            "I asked for a recommendation and barely got an answer",
            "the shop assistant was rude when I asked about my order",
            "there was nobody around to help",
            "I was ignored at the counter for a good ten minutes",
        ),
        (
            "I would like to know if someone in the shop can suggest books for a "
            "fourteen-year-old",
            "I would like to book a session with a bookseller",
        ),
    ),
    "wait": (
        (
            "there was hardly any queue at the till",
            "I was in and out in a few minutes",
            "the wait was short, even on a Saturday",
            "I never had to wait more than a couple of minutes",
        ),
        (
            "I was on hold for over twenty minutes",
            "the queue at the till was huge and only one till was open",
            "the phone wait is endless",
            "I waited fifteen minutes in the chat with no reply",
            "waiting times are way too long",
        ),
        (
            "I would like to know your customer service opening hours",
            "I would like to know when the shop is less busy",
        ),
    ),
    "price": (
        (
            "prices are fair and the loyalty card discounts are worth it",
            "there are great deals on paperbacks",
            "it's not as expensive as I expected",
            "it's good value for money",
        ),
        (
            "prices are a bit high compared to other sites",
            "it's lovely but pricey",
            "shipping costs are too high for a single book",
            "the newsletter discount wasn't applied at the till",
            "the same book is cheaper elsewhere online",
        ),
        (
            "I would like to know if the student discount also works online",
            "I would like to know how long the three-for-two offer lasts",
        ),
    ),
    "range": (
        (
            "the selection is huge, including small publishers",
            "I discovered new authors thanks to the themed shelves",
            "I always find what I'm looking for",
            "every visit I leave with an unexpected discovery",
        ),
        (
            "the book I wanted was out of stock and nobody knew when it would be back",
            "there are very few books in English",
            "the children's section is small and messy",
            "I had to order it online because the shop didn't have it",
        ),
        (
            "I would like to know if you have the latest Sally Rooney in stock",
            "I would like to order an English book I can't find",
        ),
    ),
    "delivery": (
        (
            "the parcel arrived the next day, well packed",
            "delivery was right on time, as promised",
            "the courier was friendly and punctual",
            "I didn't expect such a fast delivery",
        ),
        (
            "the delivery came days later than the promised 48 hours",
            "the courier never showed up but the parcel was marked as delivered",
            "the parcel arrived late and the cover was damaged",
            "it was a gift and it didn't arrive in time",
            "tracking was stuck for days",
        ),
        (
            "I would like to know where my order is, the tracking isn't updating",
            "I would like to change my delivery address",
        ),
    ),
    "cafe": (
        (
            "the smell of coffee among the shelves is irresistible",
            "the cappuccino at the café is excellent",
            "a book and a slice of cake at the café is my Saturday ritual",
            "the café corner is cosy and the coffee is good",
        ),
        (
            "the coffee was lukewarm and watery",
            "the café was messy and the tables were dirty",
            "the café pastries are overpriced and not always fresh",
            "the cappuccino tasted of nothing",
        ),
        (
            "I would like to know if the café is open on Sundays",
            "I would like to know if you have gluten-free cakes at the café",
        ),
    ),
    "events": (
        (
            "at the author talk I felt part of a community",
            "I met people at the book club that I now see outside too",
            "the author events are the reason I keep coming back",
            "it's lovely to be among readers who share the same passion",
            "the story time for kids was magical",
            "it feels like home, among friends who love books",
        ),
        (
            "the event was overcrowded and we couldn't hear anything",
            "the talk started an hour late",
            "the author event was cancelled without notice",
            "there weren't enough seats and we stood the whole time",
        ),
        (
            "I would like to join the book club",
            "I would like to know if Thursday's author talk is free",
        ),
    ),
    "app": (
        (
            "the app is simple and fast",
            "the website is clear and ordering is easy",
            "the wishlist in the app is really handy",
            "not bad, the new app is much more intuitive",
        ),
        (
            "the app crashes every time I try to pay",
            "the website is slow and search finds nothing",
            "since the update the app won't let me log in",
            "my cart keeps emptying itself",
        ),
        (
            "I would like to reset my app password",
            "I would like to link my loyalty card to the app",
        ),
    ),
    "payment": (
        (
            "paying with Apple Pay is instant",
            "checkout is easy and PayPal works fine",
            "they take every card at the till",
        ),
        (
            "my payment was declined twice for no reason",
            "I was charged twice",
            "the card machine was broken and I had to pay cash",
        ),
        (
            "I would like to know if I can pay by bank transfer",
            "I would like to use two gift cards on one order",
        ),
    ),
    "care": (
        (
            "customer service answered right away and sorted everything",
            "the agent on the phone was competent and kind",
            "the chat helped me in minutes",
            "they replied to my email the same day",
        ),
        (
            "customer service is impossible to reach",
            "nobody ever answered my email",
            "the chat closes before an agent replies",
            "I called three times and got three different answers",
            "it was not easy to talk to a real person",
        ),
        (
            "I would like to speak to an agent",
            "I would like someone to call me back",
        ),
    ),
    "returns": (
        (
            "the return was easy and the refund came in a few days",
            "I exchanged a gift without any hassle",
            "they replaced a faulty copy right away",
        ),
        (
            "my refund still hasn't arrived after a month",
            "returning a book took endless forms",
            "the shop won't accept returns of online orders",
        ),
        (
            "I would like to return a book I received twice",
            "I would like to know how long I have to return an order",
        ),
    ),
    "used": (
        (
            "the second-hand section is a goldmine for students",
            "I sold my old textbooks and bought others at half price",
            "the used books are in great condition",
        ),
        (
            "the used books were full of underlining",
            "they offered next to nothing for my used books",
            "used books cost almost as much as new ones",
        ),
        (
            "I would like to know if you buy used textbooks",
            "I would like to know if you have a used copy of Calculus 1",
        ),
    ),
    "gift": (
        (
            "the gift wrapping was beautiful and free",
            "they helped me pick the perfect present for my nephew",
            "the gift card was a big hit",
        ),
        (
            "the queue for gift wrapping was endless",
            "the present arrived after Christmas, so disappointing",
            "the gift wrapping was sloppy",
        ),
        (
            "I would like to know if you gift-wrap online orders",
            "I would like to send a present with a card",
        ),
    ),
    "atmosphere": (
        (
            "the shop is bright with nice background music",
            "I love the smell of new books when I walk in",
            "the reading armchairs make the shop so welcoming",
        ),
        (
            "the shop was hot and crowded",
            "the music was too loud to browse",
            "the shelves were a mess",
        ),
        (
            "I would like to know if the shop is accessible with a pram",
            "I would like to know if dogs are allowed in the shop",
        ),
    ),
    "invoice": (
        (
            "invoicing for our office is accurate and on time",
            "the business service handles big orders without mistakes",
            "orders for our company library arrive complete",
        ),
        (
            "the invoice had the wrong VAT number again",
            "the office order arrived incomplete",
            "I've been waiting weeks for a credit note",
        ),
        (
            "I would like the invoice made out to my company",
            "I would like a quote for fifty copies of the same title",
        ),
    ),
}

#: CLAUSES[language][aspect] = (positive, negative, neutral)
CLAUSES: dict[str, dict[str, Clauses]] = {"it": _IT, "en": _EN}

#: OPENERS[style][language][tone]; tone is pos, neg, mixed or neu.
OPENERS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "survey": {
        "it": {
            "pos": ("", "", "Tutto bene: ", "Esperienza ottima, ", "Devo dire che ",
                    "Sinceramente ", "Come sempre ", "Che dire? ", "Bravi! "),
            "neg": ("", "", "Peccato, ", "Purtroppo ", "Esperienza deludente: ",
                    "Sinceramente ", "Mi dispiace dirlo, ma ", "Non ci siamo. ",
                    "Che delusione. "),
            "mixed": ("", "Nel complesso ", "Insomma, ", "Così così: ",
                      "Luci e ombre: "),
            "neu": ("", "In generale ", "Nulla di speciale: "),
        },
        "en": {
            "pos": ("", "", "All good: ", "Great experience, ", "I must say ",
                    "Honestly, ", "As always, ", "What can I say? ", "Well done! "),
            "neg": ("", "", "Sadly, ", "Unfortunately ", "Disappointing: ",
                    "Honestly, ", "Sorry to say, but ", "Not good. ",
                    "What a letdown. "),
            "mixed": ("", "Overall ", "So-so: ", "Mixed feelings: ", "All in all, "),
            "neu": ("", "Nothing special: "),
        },
    },
    "review": {
        "it": {
            "pos": ("", "Libreria del cuore! ", "Cinque stelle meritate. ",
                    "Consigliatissima: ", "Ci torno sempre volentieri: ",
                    "Una delle mie librerie preferite. "),
            "neg": ("", "Una stella ed è anche troppo. ", "Sconsigliato: ",
                    "Mai più. ", "Recensione onesta: ", "Attenzione: "),
            "mixed": ("", "Tre stelle. ", "Potrebbe andare meglio: ",
                      "Bello ma non perfetto. "),
            "neu": ("", "Recensione breve: "),
        },
        "en": {
            "pos": ("", "My favourite bookshop! ", "Five well-deserved stars. ",
                    "Highly recommended: ", "Always happy to come back: "),
            "neg": ("", "One star is too many. ", "Avoid: ", "Never again. ",
                    "Honest review: "),
            "mixed": ("", "Three stars. ", "Could be better: ",
                      "Nice but not perfect. "),
            "neu": ("", "Short review: "),
        },
    },
    "social": {
        "it": {
            "pos": ("", "", "Che bello! ", "Grazie Esperia, ", "Sempre il top: "),
            "neg": ("", "", "@LibreriaEsperia ", "Ancora una volta: ", "Vergogna, "),
            "mixed": ("", "Mah, ", "Insomma... "),
            "neu": ("", "Domanda: "),
        },
        "en": {
            "pos": ("", "", "Love this! ", "Thanks Esperia, "),
            "neg": ("", "", "@LibreriaEsperia ", "Once again: "),
            "mixed": ("", "Meh, "),
            "neu": ("", "Quick question: "),
        },
    },
    "message": {
        "it": {
            "pos": ("Buongiorno, volevo dirvi che ", "Ciao, ", "Salve, "),
            "neg": ("Buongiorno, vi scrivo perché ", "Salve, ", "Ciao, ",
                    "Gentili signori, vi segnalo che ", "Buonasera, purtroppo "),
            "mixed": ("Buongiorno, ", "Salve, "),
            "neu": ("Buongiorno, ", "Salve, ", "Ciao, ", "Buonasera, ",
                    "Gentile servizio clienti, "),
        },
        "en": {
            "pos": ("Hello, I just wanted to say that ", "Hi, "),
            "neg": ("Hello, I'm writing because ", "Hi, ",
                    "Dear customer service, I have to report that "),
            "mixed": ("Hello, ", "Hi, "),
            "neu": ("Hello, ", "Hi, ", "Good morning, ", "Dear customer service, "),
        },
    },
}  # fmt: skip

#: CONNECTORS[language][same tone?]: joins a second clause to the first.
CONNECTORS: dict[str, dict[bool, tuple[str, ...]]] = {
    "it": {
        False: (
            ", ma ",
            ", però ",
            ", anche se ",
            ". D'altra parte ",
            "; in compenso ",
        ),
        True: (" e ", ", inoltre ", ". In più ", ". E poi "),
    },
    "en": {
        False: (", but ", ", although ", "; on the other hand, ", ". Still, "),
        True: (" and ", ", plus ", ". Also, "),
    },
}

#: CLOSERS[language][tone]; an empty string means no closing sentence.
CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "it": {
        "pos": ("", "", "Tornerò sicuramente.", "Consigliata a tutti.", "Grazie!",
                "Bravi, continuate così.", "Non vedo l'ora di tornare."),
        "neg": ("", "", "Così non va.", "Spero che migliorerete.",
                "Valuterò altri negozi.", "Non tornerò.", "Molto deluso.",
                "Aspetto una risposta.", "Non me lo aspettavo da voi."),
        "mixed": ("", "Si può migliorare.", "Nel complesso sufficiente.",
                  "Vedremo la prossima volta."),
        "neu": ("Grazie.", "Grazie mille, buona giornata.", "Attendo vostre notizie.",
                "Cordiali saluti.", "Grazie in anticipo."),
    },
    "en": {
        "pos": ("", "", "I'll be back for sure.", "Highly recommended.", "Thanks!",
                "Keep it up.", "Can't wait to come back."),
        "neg": ("", "", "Not acceptable.", "I hope you improve.",
                "I'll shop elsewhere.", "Never again.", "Very disappointed.",
                "Waiting for a reply."),
        "mixed": ("", "Room for improvement.", "Good enough overall.",
                  "We'll see next time."),
        "neu": ("Thanks.", "Many thanks, have a nice day.",
                "Looking forward to hearing from you.", "Kind regards."),
    },
}  # fmt: skip

#: Sentences wrapped around a customer's own e-mail or phone (PII to redact).
PII_EMAIL: dict[str, tuple[tuple[str, str], ...]] = {
    "it": (("Potete contattarmi a ", "."), ("Scrivetemi a ", " per favore."),
           ("La mia mail è ", ", rispondete lì.")),
    "en": (("You can reach me at ", "."), ("Please write to ", ".")),
}  # fmt: skip
PII_PHONE: dict[str, tuple[tuple[str, str], ...]] = {
    "it": (("Il mio numero è ", ", richiamatemi."), ("Ecco il mio cellulare: ", "."),
           ("Chiamatemi al ", " dopo le 18.")),
    "en": (("My number is ", ", please call me back."), ("Call me on ", ".")),
}  # fmt: skip

#: EMOJI[tone]
EMOJI: dict[str, tuple[str, ...]] = {
    "pos": ("😊", "📚", "❤️", "👍", "☕", "😍", "🙏", "✨"),
    "neg": ("😡", "👎", "😤", "🙄", "😞"),
    "mixed": ("🤔", "😐"),
    "neu": ("🙂",),
}
