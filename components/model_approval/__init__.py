"""ModelApproval: decides, by policy or by a named person, whether a model version may be deployed."""
