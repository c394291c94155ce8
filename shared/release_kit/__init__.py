"""release-kit: the library every action stands on."""
