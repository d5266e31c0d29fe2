"""The pure decision core: plain data and functions, no IO, no imports from the rest of the project.

* ``holds``          what each hold entry means, and which holds block a purge
* ``mailboxes``      mailbox states derived from observations, deadlines, notes
* ``inventory``      the inventory script's output -> typed records
* ``service_errors`` error records from EXO / Graph / S&C -> kind, retry, remedy
"""
