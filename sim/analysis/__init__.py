"""Real data: loaders for shipped datasets, and fitting noise models to them."""
