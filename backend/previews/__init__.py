"""Frame previews: progressive and final JPEG thumbnails that nodes upload while rendering."""
