"""The heater-node side: Blender runner, energy meters, the simulated room."""
