"""Accounts: users and their roles, logging in and out, passwords, and the guards of the audience pages."""
