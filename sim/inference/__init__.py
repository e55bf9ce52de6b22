"""Models answer to data: calibrate the estimation model's revision rules on an observed
multi-round experiment and predict another one, with intervals.

- :mod:`~sim.inference.summaries`: the statistics measured alike on data and simulations;
- :mod:`~sim.inference.rulesets`: the named family of rule sets the data choose from;
- :mod:`~sim.inference.simulate`: every observed group simulated from its own first answers;
- :mod:`~sim.inference.sampler`: a pyabc sampler whose results do not depend on the workers;
- :mod:`~sim.inference.calibrate`: ``crowdsim calibrate`` (ABC-SMC, cross-validation);
- :mod:`~sim.inference.predict`: ``crowdsim predict``;
- :mod:`~sim.inference.output`: tables, figures, reports.

The data side is described by a dataset spec (:mod:`sim.analysis.specs`,
``configs/datasets/*.yaml``).
"""
