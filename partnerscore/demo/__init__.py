"""Demo and synthetic data: the seeded demo data set and a streaming generator for large ones."""

from partnerscore.demo.fixtures import CONFLICTS, PARTNERS, UNKNOWN_WORKLOAD, build_demo, write_dataset
from partnerscore.demo.generate import generate_large

__all__ = ["CONFLICTS", "PARTNERS", "UNKNOWN_WORKLOAD", "build_demo", "generate_large", "write_dataset"]
