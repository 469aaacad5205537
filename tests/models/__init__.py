"""Models of what the service does with a synthesized template (TEST TOOLING).

Each model reads only the template (and, for a VPC the stack does not own, a description of
what is already there), never the constructs that built it, so a construct change that breaks
a session start, a deploy or a delete fails here whatever the construct code says.
"""
