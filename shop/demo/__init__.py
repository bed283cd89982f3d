"""Demo and benchmark data, and the offline stand-in for Stripe. Only the CLI and the tests import it."""
