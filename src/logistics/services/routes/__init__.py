"""Route optimisation: plans over vehicles, their travel tables and model, and recurring
templates."""
