"""Calibrate a scenario from a company's own CRM export, backtest it, and export runs as CRM CSVs.

    simorg calibrate examples/crm/ --out out/northwind --backtest

Modules (imports point down: cli -> report/output/backtest -> fit -> io):

* :mod:`.io`: read CSV exports (Salesforce / HubSpot column names, a mapping file), with errors
  and warnings naming file, row and column.
* :mod:`.fit`: fit distributions (MLE + AIC, KS), rates corrected through simulation so the
  simulated observed rates match the data, lead volume, people, the state at the export date.
* :mod:`.backtest`: replay the history; prediction bands against the actual months.
* :mod:`.output`, :mod:`.report`: the scenario YAML with provenance comments,
  ``calibration.json``, and the HTML report.
* :mod:`.export`: a run's records as CRM-shaped CSVs (the round trip, or a BI event log).

Uses only the public API of the model (``simorg.load``, ``simulate``, a Run's records); see
docs/calibration.md.
"""
