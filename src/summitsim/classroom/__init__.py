"""Classroom play: games in SQLite, the terminal player, the classroom web server and its rules."""
