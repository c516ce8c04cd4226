"""Neural AgentMixer model pieces in PyTorch (Li, Zhao, Wu & Pajarinen, AAAI 2025).

Individual actors (:mod:`learners.neural.actors`), the MLP-Mixer Policy Modifier (Eq. 5,
:mod:`learners.neural.modifier`), IGC heads (Def. 6, :mod:`learners.neural.heads`) and the combined
:class:`AgentMixerPolicy` (:mod:`learners.neural.agentmixer_policy`); the algorithms (one file each:
:mod:`learners.neural.algorithms`), the one training loop (:mod:`learners.neural.trainer`),
decentralized evaluation (:mod:`learners.neural.evaluate`) and the exact evaluation of trained
actors on Dec-POMDPs (:mod:`learners.neural.exact_eval`). Importing this package needs torch.
"""

from learners.neural.actors import ActorConfig, ActorOutput, Actors, AgentLinear
from learners.neural.agentmixer_policy import ActResult, AgentMixerPolicy
from learners.neural.heads import (
    DEFAULT_BASE_CAP,
    DEFAULT_TORCH_RATIO_CAP,
    GaussianIGCHead,
    JointCategorical,
    JointNormal,
    igc_joint_categorical,
    igc_modify_torch,
    naive_softmax_modifier,
)
from learners.neural.modifier import MixerBlock, ModifierConfig, PolicyModifier
from learners.neural.trainer import TrainConfig, TrainResult, make_config, train

__all__ = [
    "DEFAULT_BASE_CAP",
    "DEFAULT_TORCH_RATIO_CAP",
    "ActResult",
    "ActorConfig",
    "ActorOutput",
    "Actors",
    "AgentLinear",
    "AgentMixerPolicy",
    "GaussianIGCHead",
    "JointCategorical",
    "JointNormal",
    "MixerBlock",
    "ModifierConfig",
    "PolicyModifier",
    "TrainConfig",
    "TrainResult",
    "igc_joint_categorical",
    "igc_modify_torch",
    "make_config",
    "naive_softmax_modifier",
    "train",
]
