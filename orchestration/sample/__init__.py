"""The bundled sample inbox: what the agencies of Ninh Bình sent for 2017S1 to 2019S1."""

from orchestration.sample.generate import generate_sample

__all__ = ["generate_sample"]
