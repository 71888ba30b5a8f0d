"""Hotline: a 12345 government-service hotline platform for a district."""
