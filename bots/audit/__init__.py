"""Audit trail: masking, the ledger and the run store; what may be shown about a run and to whom."""
