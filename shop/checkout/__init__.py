"""Checkout: the customer's details, the review that places the order, and the card payment page."""
