from api.cli.commands import app

app(prog_name="heritage")
