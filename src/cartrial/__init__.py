"""cartrial: computable protocols for CAR-cell therapy trials in refractory autoimmune disease."""

__version__ = "0.1.0"
