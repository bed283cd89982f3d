"""The pages a shopper expects from a seller: terms of sale, withdrawal, privacy, accessibility, contact and about."""
