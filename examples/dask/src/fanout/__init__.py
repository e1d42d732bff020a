"""A fan-out pipeline that gives the same result on every runner."""
