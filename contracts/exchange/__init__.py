"""The cross-LA exchange: what one local authority's CME team sends another, signed, over Kafka or HTTPS.

A contract family of its own (versioned like every event, kept FULL_TRANSITIVE compatible), because its readers are
other councils' systems that upgrade on their own timetable. Each message is a CloudEvent whose `source` names the
sending authority (`/la/<DfE LA code>`), wrapped in a DSSE envelope signed with that authority's Ed25519 key
(cme_runtime.exchange_signing).
"""
