"""Dispatch: nearest riders and automatic dispatch, batch dispatch, and offers to riders."""
