"""Who may do what: users with roles, API keys with scopes, the audit log."""
