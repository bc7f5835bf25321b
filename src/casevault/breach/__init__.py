"""Breach response (layer 4): incidents, affected people, notices, holds, download tracing."""
