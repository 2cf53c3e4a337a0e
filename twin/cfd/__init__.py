"""CFD references: OpenFOAM cases generated from a Twin layout, CFD fields read back,
compared with the fast model and used to calibrate it (no Qt, no VTK)."""
