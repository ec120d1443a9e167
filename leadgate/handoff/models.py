"""The hand-over to sales and what became of it: the records, Handoff and
Outcome (with RejectReason), are core records that every stage reads, in
leadgate.leads.records (their tables keep their names, handoff_handoff and
handoff_outcome). This app holds the flow, the pages and the exports."""
