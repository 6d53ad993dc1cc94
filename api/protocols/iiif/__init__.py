"""IIIF: the Image API (`image`) and the Presentation API (`presentation`)."""
