"""Tables: which describe a network (and how it flows), and the network they describe."""
