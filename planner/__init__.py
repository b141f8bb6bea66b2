"""Funnel planner: Miller & Heiman's sales funnel for solo consultants."""

__version__ = "0.1.0"
