"""The visitor's cart: in the session cookie for guests, in the database for customers."""
