"""``python -m mixpanel_data``: the same CLI as ``mp``."""

from mixpanel_data.cli.app import main

if __name__ == "__main__":
    main()
