"""The design checks of a layout, one module per family: power, cooling, floor load and the
geometric checks of floor items. ``twin.model.constraints.ConstraintChecker`` runs them all and
keeps them up to date as a document changes."""
