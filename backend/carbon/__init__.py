"""Carbon facts: energy slices and site parameters in, Qarnot-compatible carbon and heat figures out."""
