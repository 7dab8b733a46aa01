"""MES adapters: ISA-95 B2MML documents and tabular exports, mapped to the ontology."""
