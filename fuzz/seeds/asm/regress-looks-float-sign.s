#st?row
VACT func=gelu imm=+0