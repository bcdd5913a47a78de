"""Pure functions from run results to Plotly figures (:mod:`.figures`) and the static HTML
report (:mod:`.report`). The dashboard and the classroom reuse both.

Import the submodules directly; this package imports nothing heavy itself."""
