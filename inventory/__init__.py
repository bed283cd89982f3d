"""How many there are and where: stock records, the movement ledger and staff stock pages."""
