"""Whether a participant takes part in a task: what the task offers (`Offer`, which each role reads
from the chain and the spec in its own terms) against what the participant accepts (`Policy`)."""

from __future__ import annotations

from dataclasses import dataclass

from learning_market.checks import eth
from learning_market.timeline import duration, when


@dataclass(frozen=True)
class Offer:
    """What taking part in a task means: its reward, the stake it locks, the last second to join,
    and the examples and classes its models take (None: not read)."""

    task_id: int
    reward: int
    stake: int
    closes: int
    input_shape: tuple[int, ...] | None = None
    num_classes: int | None = None


@dataclass(frozen=True)
class Policy:
    """What a participant accepts: a reward of at least `min_reward` wei, a stake of at most
    `max_stake` wei, at least `margin` seconds left to join (time to train and be mined), and
    examples shaped `input_shape` in `num_classes` classes (None: any)."""

    min_reward: int = 0
    max_stake: int | None = None
    margin: int = 0
    input_shape: tuple[int, ...] | None = None
    num_classes: int | None = None

    def refusal(self, offer: Offer, now: int) -> str | None:
        """Why the offer is declined, in a sentence; None when it is taken."""
        task = f"task {offer.task_id}"
        if offer.reward < self.min_reward:
            return f"{task} offers {eth(offer.reward)}, less than the minimum reward of {eth(self.min_reward)}."
        if self.max_stake is not None and offer.stake > self.max_stake:
            return f"{task} asks a stake of {eth(offer.stake)}, more than the maximum of {eth(self.max_stake)}."
        if offer.closes - now < self.margin:
            return (
                f"{task} can be joined only until {when(offer.closes, now)}, which leaves less than the margin "
                f"of {duration(self.margin)}."
            )
        if self.input_shape is not None and offer.input_shape is not None and \
                tuple(offer.input_shape) != tuple(self.input_shape):
            return (
                f"{task} takes examples shaped {list(offer.input_shape)}, and this participant serves "
                f"{list(self.input_shape)}."
            )
        if self.num_classes is not None and offer.num_classes is not None and offer.num_classes != self.num_classes:
            return f"{task} has {offer.num_classes} classes, and this participant serves {self.num_classes}."
        return None
