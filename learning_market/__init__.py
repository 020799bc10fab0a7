"""Off-chain roles of the learning market: initiator, contributor and verifier."""
