"""Code that runs inside Blender (the bpy module or `blender -b`); imports nothing from the project."""
