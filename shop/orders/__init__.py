"""Orders: placing them, their status flow, the part each unit fulfils, the customer's e-mails and pages."""
