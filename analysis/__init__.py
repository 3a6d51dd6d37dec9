"""zhengce.analysis: trajectories, effect estimates, figures and the report."""
