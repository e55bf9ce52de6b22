"""What the models' Mesa engines share: a model built from a seed and its one parameter
schema, and arrays of an attribute of its agents in index order.

Importing this module imports Mesa; sweeps, which use the kernels only, never do.

Examples
--------
>>> import mesa
>>> from pydantic import BaseModel
>>> class Size(BaseModel):
...     n_agents: int = 3
>>> class Crowd(SeededModel):
...     params_schema = Size
...     ages = agent_array("members", "age", int, "Each member's age, in index order.")
...
...     def __init__(self, rng=None, **params):
...         super().__init__(rng=rng, **params)
...         mesa.Agent.create_agents(self, self.params.n_agents)
...         self.members = list(self.agents)
...         for i, member in enumerate(self.members):
...             member.age = 20 + i
>>> crowd = Crowd(rng=1, n_agents=4)
>>> crowd.params.n_agents, crowd.ages.tolist()
(4, [20, 21, 22, 23])

Every model class shows its real parameters: its signature (``help(Crowd)``,
``inspect.signature``) and the end of its docstring are built from its parameter schema.
Mesa's deprecated ``seed=`` is refused with a pointer to ``rng=``:

>>> import inspect
>>> str(inspect.signature(Crowd))
'(rng=None, *, n_agents=3)'
>>> Crowd(seed=1)
Traceback (most recent call last):
...
TypeError: Crowd() takes rng=, not seed= (Mesa 3.5 deprecates seed=): use Crowd(rng=1)
"""

from __future__ import annotations

import inspect
import textwrap
import typing
from typing import ClassVar

import mesa
import numpy as np
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

__all__ = ["SeededModel", "agent_array", "check_no_seed", "document_parameters"]


class SeededModel(mesa.Model):
    """A Mesa model of one parameter schema whose numba kernel, given the same integer seed,
    makes the same draws in the same order.

    Args:
        rng: seed (int) or generator; with an int seed the draws equal the kernel's for the
            same seed (the model's ``simulate_*`` function).
        **params: the parameters of :attr:`params_schema`, validated there and kept as
            ``self.params``.
    """

    #: The model's parameter schema (``sim.models.<model>.params``).
    params_schema: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if isinstance(getattr(cls, "params_schema", None), type):
            document_parameters(cls)

    def __init__(self, rng=None, **params) -> None:
        check_no_seed(type(self), params)
        super().__init__(rng=rng)
        self.params = self.params_schema(**params)


def check_no_seed(cls: type, params: dict) -> None:
    """Refuse Mesa's deprecated ``seed=`` (it would otherwise reach the parameter schema as
    an unknown parameter): a :class:`TypeError` saying to pass ``rng=``."""
    if "seed" in params and "seed" not in cls.params_schema.model_fields:
        raise TypeError(f"{cls.__name__}() takes rng=, not seed= (Mesa 3.5 deprecates seed=): "
                        f"use {cls.__name__}(rng={params['seed']!r})")


def _default(field):
    try:
        default = field.get_default(call_default_factory=True, validated_data={})
    except Exception:  # a factory that needs the other fields: show no default
        return inspect.Parameter.empty
    return inspect.Parameter.empty if default is PydanticUndefined else default


def _choices(annotation) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " (one of " + ", ".join(repr(a) for a in typing.get_args(annotation)) + ")"
    return ""


def document_parameters(cls: type) -> None:
    """Show the parameters of ``cls.params_schema`` in ``cls``'s signature and docstring.

    The signature (what ``help(cls)`` and ``inspect.signature(cls)`` show) is the class's own
    ``__init__`` arguments up to its ``**params``, then every field of the schema as a
    keyword-only argument with its default; the docstring gets a section listing each field
    with its default, its choices and its description. Both are built from the schema, so
    they cannot go stale. Called for every subclass of :class:`SeededModel`.
    """
    schema = cls.params_schema
    init = inspect.signature(cls.__init__).parameters.values()
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD or p.name in schema.model_fields
               for p in init):
        return  # an __init__ without **params: its own signature is the truth
    # (an inherited __init__ already shows the fields: keep its own arguments only)
    own = [p for p in init
           if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name not in schema.model_fields]
    fields = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_default(field))
              for name, field in schema.model_fields.items()]
    init_signature = inspect.Signature([*own, *fields])
    if "__init__" in cls.__dict__:
        cls.__init__.__signature__ = init_signature
    cls.__signature__ = init_signature.replace(parameters=[*own[1:], *fields])  # no self
    if cls.__doc__ is None:  # python -OO
        return
    lines = [f"Model parameters (keyword-only; validated by {schema.__name__}):"]
    for name, field in schema.model_fields.items():
        default = _default(field)
        shown = "required" if default is inspect.Parameter.empty else f"default {default!r}"
        lines.append(f"    {name}: {shown}{_choices(field.annotation)}")
        if field.description:
            lines.extend(textwrap.wrap(field.description, 88, initial_indent=" " * 8,
                                       subsequent_indent=" " * 8))
    cls.__doc__ = inspect.cleandoc(cls.__doc__) + "\n\n" + "\n".join(lines)


def agent_array(agents: str, attribute: str, dtype, doc: str) -> property:
    """A read-only property of a model: ``attribute`` of every agent in its list ``agents``
    (the name of a list attribute, in index order), as a new array of ``dtype``.

    Parameters
    ----------
    agents : str
        Name of the model's list of agents, e.g. ``"scouts"``.
    attribute : str
        Name of the agents' attribute, e.g. ``"site"``.
    dtype : numpy dtype
        The array's dtype.
    doc : str
        The property's docstring.
    """
    def values(model: mesa.Model) -> np.ndarray:
        return np.array([getattr(agent, attribute) for agent in getattr(model, agents)],
                        dtype=dtype)

    return property(values, doc=doc)
