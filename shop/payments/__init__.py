"""Card payments: the only package that talks to Stripe (through gateway.py), its webhooks, refunds and
the flows that must commit around a call to Stripe, and the job that reconciles and expires unpaid orders."""
