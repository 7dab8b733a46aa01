"""The sample factory: a synthetic, SHACL-conformant manufacturing thread with ground truth.

``generate(scale, seed, out)`` streams about ``scale`` triples of N-Triples (gzip for
``.nt.gz``) and writes answers to the lineage questions beside it (layout in
:mod:`kgthread.sample.truth`). Modules: ``plant`` (equipment, sensors, parties), ``catalog``
(parts, BOMs, characteristics), ``lots``, ``production`` and ``quality`` (the model as it is
generated), ``truth`` (probes), ``terms`` and ``writer`` (serialization), ``factory``.
"""

from kgthread.sample.factory import SampleSummary, generate, truth_path_for

__all__ = ["SampleSummary", "generate", "truth_path_for"]
