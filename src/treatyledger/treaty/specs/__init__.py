"""The built-in treaty specifications (TOML files), loaded by treatyledger.treaty.builtin."""
