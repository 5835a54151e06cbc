"""The room protocol: frame schemas (``frames``) and the pure room state machine (``room``).

Nothing here touches a socket, the database or the channel layer: ``room.apply`` takes a state and a
validated command and returns the new state, the frames to emit and the records to persist — testable as
a plain function, like aiortc's ``RTCPeerConnection`` is testable without a network.
"""

PROTOCOL_VERSION = 1
