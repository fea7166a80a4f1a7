"""Tasks: their use cases (create, transitions, proof of delivery), the audit trail, SLA
deadlines, and the customer's tracking view."""
