"""ModelApproval: decides, by policy or by a named person, whether a version may be deployed."""
