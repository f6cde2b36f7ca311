from cme_cli.main import app

app(prog_name="cme")
